namespace ProcWatch; internal static class Placeholder {}
