using Foobar.Launcher;

// `dotnet run --project src/Launcher [-- --web N --app N ...]`: the whole stack as local processes.
return await LauncherApp.RunAsync(args);
