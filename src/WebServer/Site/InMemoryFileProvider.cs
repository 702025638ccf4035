using System.Collections.Concurrent;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Foobar.WebServer.Site;

/// <summary>
/// The site's files, read from disk once and then served from memory. MapStaticAssets opens, locks, reads and closes
/// the file on every request (about ten system calls: openat, flock x2, fstat, fadvise, pread, close, lstat...),
/// which measured as the largest part of the web tier's system time per static request (bench/README.md). The
/// assets are fingerprinted or ETag'd from the build manifest and never change while the process runs
/// (ReloadStaticAssetsAtRuntime=false), so a copy in memory is always current. Only existing files up to
/// <see cref="MaxFileBytes"/> are kept, so neither a large file nor a stream of unknown paths can grow the cache.
/// </summary>
internal sealed class InMemoryFileProvider(IFileProvider files) : IFileProvider
{
    /// <summary>The site's largest file is about 10 KiB; anything far beyond is not a page asset and stays on disk.</summary>
    public const long MaxFileBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, IFileInfo> _cached = new(StringComparer.Ordinal);

    public IFileInfo GetFileInfo(string subpath)
    {
        if (_cached.TryGetValue(subpath, out var cached))
        {
            return cached;
        }

        var file = files.GetFileInfo(subpath);
        if (!file.Exists || file.IsDirectory || file.Length > MaxFileBytes)
        {
            return file;
        }

        return _cached.GetOrAdd(subpath, InMemoryFileInfo.Load(file));
    }

    public IDirectoryContents GetDirectoryContents(string subpath) => files.GetDirectoryContents(subpath);

    public IChangeToken Watch(string filter) => files.Watch(filter);
}
