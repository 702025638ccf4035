// Placeholder until the Launcher issue lands.
Console.WriteLine("foobar launcher: not built yet");
