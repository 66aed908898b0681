using System.Diagnostics;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SplitNet.Fleet.Tests;

/// <summary>
/// The Kubernetes manifests: every kustomization renders offline and validates against the
/// Kubernetes schemas (<c>deploy/k8s/validate.mjs</c>, kubernetes-models), and what they say
/// agrees with the server: probe ports, the drain, the services' selectors.
/// </summary>
public sealed class ManifestTests
{
    private static string K8s => Path.Combine(Fleet.Root, "deploy", "k8s");

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/gpu")]
    [InlineData("overlays/monitoring")]
    public void Kustomization_RendersAndValidatesAgainstTheSchemas(string kustomization)
    {
        var (code, output) = Validate(Render(kustomization));

        Assert.True(code == 0, output);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public void InferenceService_ItsContainerValidates_AndServesOnItsH2cPort()
    {
        var yaml = File.ReadAllText(Path.Combine(Fleet.Root, "deploy", "kserve", "inferenceservice.yaml"));
        var (code, output) = Validate(yaml, "--allow", "serving.kserve.io/v1beta1/InferenceService");
        Assert.True(code == 0, output);

        var container = Documents(yaml)[0].GetProperty("spec").GetProperty("predictor").GetProperty("containers")[0];
        var port = container.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "h2c").GetProperty("containerPort").ToInt();
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), args[args.IndexOf("--port") + 1]);
        Assert.Equal(port, container.GetProperty("readinessProbe").GetProperty("grpc").GetProperty("port").ToInt());
    }

    [Fact]
    public void Base_ProbesTheGrpcPort_DrainsWithinTheGracePeriod_AndEveryServiceSelectsThePods()
    {
        var documents = Documents(Render("base"));
        var deployment = documents.Single(d => d.GetProperty("kind").GetString() == "Deployment");
        var pod = deployment.GetProperty("spec").GetProperty("template");
        var labels = pod.GetProperty("metadata").GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        var container = pod.GetProperty("spec").GetProperty("containers")[0];
        var grpc = container.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "grpc").GetProperty("containerPort").ToInt();

        var settings = JsonDocument.Parse(documents.Single(d => d.GetProperty("kind").GetString() == "ConfigMap").GetProperty("data").GetProperty("appsettings.json").GetString()!)
            .RootElement.GetProperty("SplitNet").GetProperty("Server");
        Assert.Equal(settings.GetProperty("Port").ToInt(), grpc);
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Assert.Equal(grpc, container.GetProperty(probe).GetProperty("grpc").GetProperty("port").ToInt());
        }
        Assert.True(pod.GetProperty("spec").GetProperty("terminationGracePeriodSeconds").ToInt() > settings.GetProperty("ShutdownTimeoutSeconds").ToInt());
        Assert.True(container.GetProperty("securityContext").GetProperty("readOnlyRootFilesystem").ToBool());

        var services = documents.Where(d => d.GetProperty("kind").GetString() is "Service" or "PodDisruptionBudget").ToList();
        Assert.Equal(3, services.Count);
        foreach (var service in services)
        {
            var spec = service.GetProperty("spec");
            var selector = spec.TryGetProperty("selector", out var s) && s.TryGetProperty("matchLabels", out var m) ? m : spec.GetProperty("selector");
            Assert.All(selector.EnumerateObject(), l => Assert.Equal(labels.GetValueOrDefault(l.Name), l.Value.GetString()));
            Assert.NotEmpty(selector.EnumerateObject());
        }
        var headless = documents.Single(d => d.GetProperty("metadata").GetProperty("name").GetString() == "splitnet-headless");
        Assert.Equal("None", headless.GetProperty("spec").GetProperty("clusterIP").GetString());
    }

    private static string Render(string kustomization)
    {
        var (code, output) = Run("kubectl", null, "kustomize", Path.Combine(K8s, kustomization));
        Assert.True(code == 0, $"kubectl kustomize {kustomization}: {output}");
        return output;
    }

    private static (int Code, string Output) Validate(string yaml, params string[] arguments)
    {
        Assert.True(Directory.Exists(Path.Combine(K8s, "node_modules")), $"{K8s}/node_modules is missing: npm install --prefix deploy/k8s (.ci/run does)");
        return Run("node", yaml, [Path.Combine(K8s, "validate.mjs"), .. arguments]);
    }

    private static List<JsonElement> Documents(string yaml)
    {
        var reader = new Parser(new StringReader(yaml));
        var deserializer = new DeserializerBuilder().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        var documents = new List<JsonElement>();
        reader.Consume<StreamStart>();
        while (reader.TryConsume<DocumentStart>(out _))
        {
            var value = deserializer.Deserialize(reader);
            reader.Consume<DocumentEnd>();
            documents.Add(JsonDocument.Parse(serializer.Serialize(value)).RootElement);
        }
        return documents;
    }

    private static (int Code, string Output) Run(string program, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Write(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + errors);
    }
}

/// <summary>YAML scalars come through as strings: numbers and booleans read either way.</summary>
internal static class YamlScalars
{
    public static int ToInt(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? e.GetInt32() : int.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public static bool ToBool(this JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : bool.Parse(e.GetString()!);
}
