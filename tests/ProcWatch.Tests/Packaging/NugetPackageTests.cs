using System.IO.Compression;
using System.Xml.Linq;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Packaging;

/// <summary>packaging/build.sh's NuGet packages carry the binary's version, both of them, inside and in their names.</summary>
[Collection(PackagesCollection.Name)]
public class NugetPackageTests(BuiltPackages packages)
{
    [KernelFact] // packs with the eBPF object, which the packaging run builds as root
    public void BothPackages_HaveTheBinarysVersion()
    {
        foreach (string id in new[] { "ProcWatch", "ProcWatch.Extensions.Hosting" })
        {
            string nupkg = Path.Combine(packages.Directory, "nuget", $"{id}.{packages.Version}.nupkg");
            Assert.True(File.Exists(nupkg), nupkg);
            using ZipArchive zip = ZipFile.OpenRead(nupkg);
            using Stream nuspec = zip.Entries.Single(e => e.FullName == id + ".nuspec").Open();
            XElement metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.Equal(packages.Version, metadata.Elements().Single(e => e.Name.LocalName == "version").Value);
            if (id != "ProcWatch") // depends on the ProcWatch of the same build
                Assert.Contains(metadata.Descendants().Where(e => e.Name.LocalName == "dependency"),
                    d => (string?)d.Attribute("id") == "ProcWatch" && (string?)d.Attribute("version") == packages.Version);
        }
    }
}
