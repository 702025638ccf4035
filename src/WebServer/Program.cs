// Placeholder until this tier's issue lands; replaced by the tier's real host.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Run();
