// A worker service that reacts when /usr/bin/curl runs: logs who ran it and with what.
// Configuration (appsettings.json, environment ProcWatch__Backend=Procfs, ...) binds to ProcWatchOptions.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProcWatch.Extensions.Hosting;
using ProcWatch.Samples.CurlWorker;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddProcWatch(o => o.Kinds = ProcWatch.ProcessEventKinds.Exec);
builder.Services.AddHealthChecks().AddProcWatchCheck();
builder.Services.AddHostedService<CurlAlert>();
await builder.Build().RunAsync();
