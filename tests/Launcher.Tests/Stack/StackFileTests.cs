using System.Text.Json;
using Foobar.Launcher.Stack;

namespace Foobar.Launcher.Tests.Stack;

public sealed class StackFileTests
{
    [Fact]
    public void Write_UsesTheContractShape()
    {
        var path = Path.Combine(Path.GetTempPath(), $"stack-{Guid.NewGuid():N}.json");
        var file = new StackFile(true, "http://127.0.0.1:8080", "https://127.0.0.1:8443", 42, "/d/admin.token",
            [new StackFileNode("lb-1", "lb", 7, ["http://127.0.0.1:8080"], "http://127.0.0.1:9101", "running"),
             new StackFileNode("app-1", "app", null, ["http://127.0.0.1:5101"], null, "stopped")]);

        file.Write(path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));

        var root = json.RootElement;
        Assert.True(root.GetProperty("ready").GetBoolean());
        Assert.Equal("http://127.0.0.1:8080", root.GetProperty("endpoint").GetString());
        var lb = root.GetProperty("nodes")[0];
        Assert.Equal("lb-1", lb.GetProperty("name").GetString());
        Assert.Equal("lb", lb.GetProperty("role").GetString());
        Assert.Equal(7, lb.GetProperty("pid").GetInt32());
        Assert.Equal("http://127.0.0.1:8080", lb.GetProperty("urls")[0].GetString());
        Assert.Equal("http://127.0.0.1:9101", lb.GetProperty("adminUrl").GetString());
        Assert.Equal("running", lb.GetProperty("state").GetString());
        Assert.False(root.GetProperty("nodes")[1].TryGetProperty("adminUrl", out _));
        Assert.Equal(file, StackFile.Read(path)! with { Nodes = file.Nodes });
    }
}
