using Foobar.Launcher.Postgres;

namespace Foobar.Launcher.Tests.Postgres;

/// <summary>
/// Issue 10's review: the fallback under /var/tmp has a predictable name, so whatever is found there must be proven
/// ours before use. The service user here is this test's own user (creating needs no privilege then), or
/// <c>nobody</c> to stand for "someone else".
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FallbackDirectoryTests : IDisposable
{
    private readonly string _root = $"/nonexistent/foobar-test-{Guid.NewGuid():N}";
    private readonly string _decoy = Path.Combine(Path.GetTempPath(), $"decoy-{Guid.NewGuid():N}");

    private string Fallback => FallbackDirectory.PathFor(_root);

    [Fact]
    public async Task PrepareAsync_NothingThere_Created0700ForTheServiceUserAndReused()
    {
        var path = await FallbackDirectory.PrepareAsync(_root, Environment.UserName);

        Assert.Equal(Fallback, path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
        Assert.Equal(path, await FallbackDirectory.PrepareAsync(_root, Environment.UserName));
    }

    [Fact]
    public async Task PrepareAsync_DirectoryOfAnotherUser_Refused()
    {
        Directory.CreateDirectory(Fallback, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FallbackDirectory.PrepareAsync(_root, "nobody"));

        Assert.Contains("refusing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_OpenDirectory_Refused()
    {
        Directory.CreateDirectory(Fallback);
        File.SetUnixFileMode(Fallback, (UnixFileMode)0b111_111_111);

        await Assert.ThrowsAsync<InvalidOperationException>(() => FallbackDirectory.PrepareAsync(_root, Environment.UserName));
    }

    [Fact]
    public async Task PrepareAsync_PlantedSymlink_RefusedAndTargetUntouched()
    {
        Directory.CreateDirectory(_decoy);
        File.SetUnixFileMode(_decoy, (UnixFileMode)0b111_111_111);
        File.CreateSymbolicLink(Fallback, _decoy);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FallbackDirectory.PrepareAsync(_root, Environment.UserName));

        Assert.Contains("symlink", error.Message, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0b111_111_111, File.GetUnixFileMode(_decoy));
    }

    public void Dispose()
    {
        if (new FileInfo(Fallback).LinkTarget is not null)
        {
            File.Delete(Fallback);
        }
        else if (Directory.Exists(Fallback))
        {
            Directory.Delete(Fallback, recursive: true);
        }

        if (Directory.Exists(_decoy))
        {
            Directory.Delete(_decoy);
        }
    }
}
