using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Files;

/// <summary>
/// Issue 20, H1 and H3: root runs <c>procwatch -o FILE</c> where an unprivileged user could
/// plant something first. Every attempt ends in one line, exit 7, and the victim unchanged.
/// </summary>
public sealed class CliOutputAttackTests : IDisposable
{
    private readonly AttackerScene _scene = new();

    public void Dispose() => _scene.Dispose();

    private static (int Code, string Stderr) Watch(string output)
    {
        var (code, stdout, stderr) = CliRunner.Run("-f", "json", "--env", "-o", output, "--", "/usr/bin/env", "SECRET_TOKEN=hunter2", "/bin/true");
        Assert.Equal("", stdout);
        return (code, stderr);
    }

    [KernelFact]
    public void H1_a_link_planted_at_the_output_is_refused_and_its_target_untouched()
    {
        string link = _scene.InShared("events.json");
        _scene.AsAttacker($"ln -s '{_scene.Victim}' events.json");

        var (code, stderr) = Watch(link);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {link}: is a symbolic link (owned by uid 65534); procwatch never writes through one\n", stderr);
        _scene.AssertVictimUntouched();
    }

    [KernelFact]
    public void H1_a_dangling_link_does_not_create_its_target()
    {
        string link = _scene.InShared("events.json");
        string wanted = Path.Combine(_scene.VictimDirectory, "created-by-root");
        _scene.AsAttacker($"ln -s '{wanted}' events.json");

        var (code, stderr) = Watch(link);

        Assert.Equal(7, code);
        Assert.StartsWith($"procwatch: refusing {link}: is a symbolic link", stderr);
        Assert.False(File.Exists(wanted), "root created the file the link pointed to");
    }

    [KernelFact]
    public void H1_a_link_on_the_way_to_the_output_is_not_followed()
    {
        _scene.AsAttacker($"ln -s '{_scene.VictimDirectory}' logs");
        string output = Path.Combine(_scene.InShared("logs"), "important");

        var (code, stderr) = Watch(output);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {output}: logs on its path is a symbolic link owned by uid 65534; procwatch follows only root's or its own\n", stderr);
        _scene.AssertVictimUntouched();
    }

    [KernelFact]
    public void H3_a_file_the_attacker_precreated_world_readable_is_refused_and_stays_empty()
    {
        string output = _scene.InShared("events.json");
        _scene.AsAttacker(": > events.json && chmod 666 events.json");

        var (code, stderr) = Watch(output);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {output}: belongs to uid 65534; procwatch writes only its own or root's files\n", stderr);
        Assert.Equal(0, new FileInfo(output).Length); // no event, no SECRET_TOKEN
    }

    [KernelFact]
    public void H3_a_root_file_writable_by_others_is_refused()
    {
        string output = _scene.InShared("events.json");
        File.WriteAllText(output, "");
        File.SetUnixFileMode(output, (UnixFileMode)0b110_110_110);

        var (code, stderr) = Watch(output);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {output}: is writable by group or others (mode 0666)\n", stderr);
        Assert.Equal(0, new FileInfo(output).Length);
    }

    [KernelFact]
    public void H3_another_name_of_a_root_file_is_refused()
    {
        // What fs.protected_hardlinks=0 lets an attacker make; made here by root (this host has it on).
        string output = _scene.InShared("events.json");
        Assert.Equal(0, Spawn.Run("/bin/ln", [_scene.Victim, output]).ExitCode);

        var (code, stderr) = Watch(output);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {output}: has 2 hard links (another name of it could be a system file)\n", stderr);
        _scene.AssertVictimUntouched();
    }

    [KernelFact]
    public void A_planted_fifo_is_refused_at_once_not_waited_on()
    {
        string output = _scene.InShared("events.json");
        _scene.AsAttacker("mkfifo events.json");

        var (code, stderr) = Watch(output);

        Assert.Equal(7, code);
        Assert.Equal($"procwatch: refusing {output}: is not a regular file\n", stderr);
    }

    /// <summary>Root's own links on the way are followed (as /var/run -> /run must be): only others' are refused.</summary>
    [KernelFact]
    public void A_link_root_owns_on_the_way_is_followed()
    {
        string target = Path.Combine(_scene.Root, "logs");
        Directory.CreateDirectory(target);
        File.CreateSymbolicLink(_scene.InShared("rootlink"), target);

        var (code, stderr) = Watch(Path.Combine(_scene.InShared("rootlink"), "events.json"));

        Assert.True(code == 0, stderr);
        Assert.Contains("\"action\":\"exec\"", File.ReadAllText(Path.Combine(target, "events.json")));
    }

    [KernelFact]
    public void A_new_output_is_created_0600_and_holds_the_events()
    {
        string output = _scene.InShared("events.json");

        var (code, stderr) = Watch(output);

        Assert.True(code == 0, stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, AttackerScene.Mode(output));
        Assert.Contains("\"action\":\"exec\"", File.ReadAllText(output));
    }
}
