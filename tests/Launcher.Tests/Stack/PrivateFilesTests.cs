using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Tests.Stack;

/// <summary>Issue 10's review: secrets are 0600 from creation, the data directory 0700, stack.json holds no token.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrivateFilesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"private-{Guid.NewGuid():N}");

    [Fact]
    public void LoadOrCreate_NewSecret_Created0600()
    {
        PrivateFiles.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "election.key");

        var value = Secrets.LoadOrCreate(_directory, "election.key", Secrets.ElectionKey);

        Assert.Equal(PrivateFiles.FileMode600, File.GetUnixFileMode(path));
        Assert.Equal(value, Secrets.LoadOrCreate(_directory, "election.key", () => "other"));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Write_PlantedLinkAtOldTemporaryName_NotWrittenThrough()
    {
        PrivateFiles.CreateDirectory(_directory);
        var victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "untouched");
        var target = Path.Combine(_directory, "stack.json");
        File.CreateSymbolicLink(target + ".tmp", victim);

        PrivateFiles.Write(target, "{}");

        Assert.Equal("untouched", File.ReadAllText(victim));
        Assert.Equal("{}", File.ReadAllText(target));
        Assert.Equal(PrivateFiles.FileMode600, File.GetUnixFileMode(target));
    }

    [Fact]
    public void CreateDirectory_ExistingOpenDirectory_Tightened()
    {
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);

        PrivateFiles.CreateDirectory(_directory);

        Assert.Equal(PrivateFiles.DirectoryMode700, File.GetUnixFileMode(_directory));
    }

    [Fact]
    public void StackFile_Written_HasTokenPathNotToken()
    {
        PrivateFiles.CreateDirectory(_directory);
        var token = Secrets.LoadOrCreate(_directory, Secrets.AdminTokenFile, Secrets.AdminToken);
        var path = Path.Combine(_directory, "stack.json");

        new StackFile(true, "http://127.0.0.1:8080", "https://127.0.0.1:8443", 1, Path.Combine(_directory, Secrets.AdminTokenFile), []).Write(path);

        var json = File.ReadAllText(path);
        Assert.DoesNotContain(token, json, StringComparison.Ordinal);
        Assert.Equal(token, File.ReadAllText(StackFile.Read(path)!.AdminTokenFile!));
        Assert.Equal(PrivateFiles.FileMode600, File.GetUnixFileMode(path));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
