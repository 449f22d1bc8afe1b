using HaPortal.Cli;

// One executable, three faces: a command (validate, render, …), the admin portal, or a web node of a stack.
return await PortalCommandLine.RunAsync(args);
