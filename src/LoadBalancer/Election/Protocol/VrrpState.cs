namespace Foobar.LoadBalancer.Election.Protocol;

/// <summary>The three states of RFC 5798 section 6.4. The UI may call Master "leader" and Backup "follower".</summary>
internal enum VrrpState
{
    Initialize = 0,
    Backup = 1,
    Master = 2,
}
