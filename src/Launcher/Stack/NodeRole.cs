namespace Foobar.Launcher.Stack;

public enum NodeRole
{
    App,
    Web,
    Lb,
}
