using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("LoadBalancer.Tests")]
