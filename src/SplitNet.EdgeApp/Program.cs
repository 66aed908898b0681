using System.CommandLine;
using SplitNet.EdgeApp;

return await EdgeAppCommand.Create().Parse(args).InvokeAsync();
