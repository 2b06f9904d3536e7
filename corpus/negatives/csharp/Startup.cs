using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace Larkspur.Web;

public sealed class SmtpOptions
{
    public string Host { get; set; } = "smtp.larkspur.io";
    public string UserName { get; set; } = string.Empty;
    public string Password { get; set; } = string.Empty;
}

public static class Startup
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var storage = builder.Configuration.GetConnectionString("Storage") ?? "UseDevelopmentStorage=true";
        var clientSecret = Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET");
        var apiKey = builder.Configuration["Partners:ApiKey"];

        builder.Services.Configure<SmtpOptions>(o =>
        {
            o.UserName = builder.Configuration["Smtp:UserName"] ?? string.Empty;
            o.Password = builder.Configuration["Smtp:Password"] ?? string.Empty;
        });

        builder.Configuration.AddAzureKeyVault(
            new Uri("https://kv-web-prod.vault.azure.net/"),
            new DefaultAzureCredential());
    }
}
