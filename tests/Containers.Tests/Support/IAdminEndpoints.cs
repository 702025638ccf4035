namespace Foobar.Containers.Tests.Support;

/// <summary>Where the host reaches each load balancer's admin listener (/status), whichever compose file runs it.</summary>
public interface IAdminEndpoints
{
    Uri AdminUrl(string loadBalancer);
}
