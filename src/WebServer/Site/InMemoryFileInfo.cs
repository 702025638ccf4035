using Microsoft.Extensions.FileProviders;

namespace Foobar.WebServer.Site;

/// <summary>
/// A static asset held in memory. No physical path on purpose: ASP.NET then streams <see cref="CreateReadStream"/>
/// instead of opening the file for every response.
/// </summary>
internal sealed class InMemoryFileInfo(string name, DateTimeOffset lastModified, byte[] content) : IFileInfo
{
    public bool Exists => true;

    public bool IsDirectory => false;

    public long Length => content.Length;

    public string? PhysicalPath => null;

    public string Name => name;

    public DateTimeOffset LastModified => lastModified;

    public Stream CreateReadStream() => new MemoryStream(content, writable: false);

    public static InMemoryFileInfo Load(IFileInfo file)
    {
        using var stream = file.CreateReadStream();
        using var copy = new MemoryStream(checked((int)file.Length));
        stream.CopyTo(copy);
        return new InMemoryFileInfo(file.Name, file.LastModified, copy.ToArray());
    }
}
