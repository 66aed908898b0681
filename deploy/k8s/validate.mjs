// Reads rendered manifests (a multi-document YAML stream) on stdin and validates each document
// against its kind's schema: kubernetes-models for the Kubernetes API, @kubernetes-models for
// CRDs it covers. A kind no schema covers fails, unless listed with --allow; KServe's
// InferenceService has no schema here, so its predictor's containers are checked as core Containers.
// Usage: kubectl kustomize deploy/k8s/base | node deploy/k8s/validate.mjs [--allow group/version/Kind]...
import { parseAllDocuments } from "yaml";

const allowed = new Set(process.argv.flatMap((a, i) => (process.argv[i - 1] === "--allow" ? [a] : [])));
const text = await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk)).on("end", () => resolve(data));
});

function modulePath(apiVersion) {
  if (apiVersion === "v1") return "kubernetes-models/v1";
  if (apiVersion.startsWith("monitoring.coreos.com/")) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

let failures = 0;
let checked = 0;
for (const document of parseAllDocuments(text)) {
  const object = document.toJS();
  if (!object) continue;
  const { apiVersion, kind } = object;
  const name = `${apiVersion}/${kind} ${object.metadata?.name}`;
  if (allowed.has(`${apiVersion}/${kind}`)) {
    const { Container } = await import("kubernetes-models/v1/Container");
    const containers = object.spec?.predictor?.containers ?? [];
    try {
      containers.forEach((c) => new Container(c).validate());
      console.log(`ok ${name}: ${containers.length} container(s) checked as v1/Container; the rest has no schema here`);
      checked += containers.length > 0 ? 1 : 0;
    } catch (error) {
      console.error(`FAIL ${name}: ${error.message}`);
      failures++;
    }
    continue;
  }
  let Model;
  try {
    Model = (await import(`${modulePath(apiVersion)}/${kind}`))[kind];
  } catch {
    Model = undefined;
  }
  if (!Model) {
    console.error(`FAIL ${name}: no schema for this kind`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    checked++;
    console.log(`ok ${name}`);
  } catch (error) {
    console.error(`FAIL ${name}: ${error.message}`);
    failures++;
  }
}
console.log(`${checked} valid, ${failures} failed`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
