using System.Text;

namespace Foobar.Launcher.Stack;

/// <summary>
/// Files and directories only their owner may read: created with that mode, never written under the umask and
/// tightened afterwards (between the two, another local user can open the file and keep the handle).
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (and missing parents) as 0700, or tightens an existing one of ours to 0700.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode700);
        File.SetUnixFileMode(path, DirectoryMode700);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> atomically (a reader sees the old or the new
    /// file, never half of one); the new file is 0600 from its first byte. A fresh temporary name each time, opened
    /// with CreateNew, so a file or link planted at a predictable name is never written through.
    /// </summary>
    public static void Write(string path, string content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode600;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
