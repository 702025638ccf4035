namespace Foobar.Launcher.Stack;

public enum NodeRole
{
    Postgres,
    App,
    Web,
    Lb,
}
