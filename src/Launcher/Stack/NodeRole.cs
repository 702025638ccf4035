namespace Foobar.Launcher.Stack;

internal enum NodeRole
{
    Postgres,
    App,
    Web,
    Lb,
}
