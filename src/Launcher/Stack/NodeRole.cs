namespace Foobar.Launcher.Stack;

internal enum NodeRole
{
    App,
    Web,
    Lb,
}
