// Offline checks of the rendered Kubernetes manifests (deploy/k8s).
//
//   node check_manifests.mjs NODE_MODULES_DIR NAME=RENDERED.yaml[:variant] ...
//
// variant: "secure" (encryption and API token on, the default) or "insecure".
// For every document of every rendering:
//   1. schema: validated with the `kubernetes-models` package (the Kubernetes
//      OpenAPI schemas compiled to validators: types, enums, required
//      fields), plus a strict unknown-field check that walks the package's
//      type declarations (the validators accept unknown fields; the API
//      server with kubectl's default strict field validation does not);
//   2. what the picket sidecar needs: native sidecar, env wiring, ports,
//      probes, preStop, grace period, securityContext, resources, Secrets,
//      headless Service, NetworkPolicy, service checks of the application
//      container on the pod's loopback.
// Then the pod templates of the StatefulSet and Deployment renderings must be
// identical (the Deployment overlay repeats the base's template).
// Prints one line per check group and "N passed, N failed" at the end; exits
// non-zero on any failure.

import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const [nodeModules, ...targets] = process.argv.slice(2);
if (!nodeModules || targets.length === 0) {
  console.error("usage: node check_manifests.mjs NODE_MODULES_DIR NAME=FILE.yaml[:secure|insecure] ...");
  process.exit(2);
}
const YAML = createRequire(path.join(nodeModules, "noop.js"))("yaml");

let passed = 0;
let failed = 0;
const failures = [];
function check(name, condition, detail = "") {
  if (condition) {
    passed++;
  } else {
    failed++;
    failures.push(`${name}${detail ? ": " + detail : ""}`);
  }
  return condition;
}

// ---------------------------------------------------------------- schema

async function validateSchema(doc) {
  const file = path.join(nodeModules, "kubernetes-models", doc.apiVersion, `${doc.kind}.js`);
  if (!existsSync(file)) return `no model for ${doc.apiVersion} ${doc.kind}`;
  const module = await import(pathToFileURL(file).href);
  const Model = module[doc.kind];
  try {
    new Model(doc).validate();
    return null;
  } catch (e) {
    return e.message;
  }
}

// Field lists from the .d.ts declarations: interface name -> {field: type}.
const interfaceCache = new Map();
function parseDeclarations(file) {
  if (interfaceCache.has(file)) return interfaceCache.get(file);
  const text = readFileSync(file, "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    let target = m[2];
    if (target.startsWith(".")) {
      target = path.join(path.dirname(file), target.replace(/\.js$/, ".d.ts"));
    } else {
      target = path.join(nodeModules, target + ".d.ts");
    }
    imports.set(m[1], target);
  }
  const start = text.search(/export interface \w+( extends [\w, ]+)? \{/);
  const result = { fields: null, extendsTypeMeta: false, imports };
  if (start >= 0) {
    result.extendsTypeMeta = /export interface \w+ extends TypeMeta/.test(text.slice(start, start + 200));
    let i = text.indexOf("{", start) + 1;
    let depth = 1;
    const body_start = i;
    while (depth > 0 && i < text.length) {
      if (text[i] === "{") depth++;
      if (text[i] === "}") depth--;
      i++;
    }
    const body = text.slice(body_start, i - 1);
    result.fields = new Map();
    // Fields at depth 0: "name"?: TYPE;
    let d = 0;
    let current = "";
    for (const ch of body) {
      if (ch === "{" || ch === "<" || ch === "(") d++;
      if (ch === "}" || ch === ">" || ch === ")") d--;
      if (ch === ";" && d === 0) {
        const m = current.trim().match(/^"([^"]+)"\??:\s*([\s\S]+)$/);
        if (m) result.fields.set(m[1], m[2].trim());
        current = "";
      } else {
        current += ch;
      }
    }
  }
  interfaceCache.set(file, result);
  return result;
}

// Walks value against the interface declared in file; reports unknown fields.
function unknownFields(value, file, where, out) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const decl = parseDeclarations(file);
  if (!decl.fields) return;  // a type alias (IntOrString, Quantity, Time): a leaf
  for (const [key, child] of Object.entries(value)) {
    if (decl.extendsTypeMeta && (key === "apiVersion" || key === "kind")) continue;
    const type = decl.fields.get(key);
    if (type === undefined) {
      out.push(`${where}.${key}`);
      continue;
    }
    walkType(child, type, decl.imports, `${where}.${key}`, out);
  }
}

function walkType(value, type, imports, where, out) {
  const array = type.match(/^Array<(\w+)>$/);
  if (array) {
    if (Array.isArray(value) && imports.has(array[1])) {
      value.forEach((item, i) => unknownFields(item, imports.get(array[1]), `${where}[${i}]`, out));
    }
    return;
  }
  const map = type.match(/^\{\s*\[key: string\]: (\w+);?\s*\}$/);
  if (map) {
    if (value && typeof value === "object" && imports.has(map[1])) {
      for (const [k, v] of Object.entries(value)) unknownFields(v, imports.get(map[1]), `${where}.${k}`, out);
    }
    return;
  }
  if (imports.has(type)) unknownFields(value, imports.get(type), where, out);
}

function strictFields(doc) {
  const file = path.join(nodeModules, "kubernetes-models", doc.apiVersion, `${doc.kind}.d.ts`);
  const out = [];
  unknownFields(doc, file, doc.kind, out);
  return out;
}

// ---------------------------------------------------------------- helpers

function labelsMatch(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v);
}
function envMap(container) {
  return new Map((container.env || []).map((e) => [e.name, e]));
}
function durationSeconds(text) {
  const m = String(text).match(/^(\d+(?:\.\d+)?)(ms|s|m)$/);
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
}
function probeText(probe) {
  if (!probe) return "";
  if (probe.exec) return probe.exec.command.join(" ");
  return JSON.stringify(probe);
}

// ---------------------------------------------------------------- sidecar checks

function checkRendering(name, docs, variant) {
  const tag = `[${name}]`;
  const workloads = docs.filter((d) => d.kind === "StatefulSet" || d.kind === "Deployment");
  check(`${tag} exactly one workload`, workloads.length === 1, `found ${workloads.length}`);
  if (workloads.length !== 1) return null;
  const workload = workloads[0];
  const pod = workload.spec.template.spec;
  const podLabels = workload.spec.template.metadata.labels;
  const sidecar = (pod.initContainers || []).find((c) => c.name === "picket");
  if (!check(`${tag} picket init container present`, sidecar !== undefined)) return null;

  // Native sidecar.
  check(`${tag} sidecar restartPolicy Always`, sidecar.restartPolicy === "Always", sidecar.restartPolicy);
  check(`${tag} sidecar image has a tag`, /:[\w.-]+$/.test(sidecar.image || ""), sidecar.image);
  check(`${tag} sidecar runs "picket agent"`,
        (sidecar.args || []).join(" ") === "agent" || (sidecar.command || []).includes("agent"));

  // Env: downward API, $(VAR) references only to variables defined earlier.
  const env = envMap(sidecar);
  const fieldRef = (n) => env.get(n)?.valueFrom?.fieldRef?.fieldPath;
  check(`${tag} POD_NAME from metadata.name`, fieldRef("POD_NAME") === "metadata.name");
  check(`${tag} POD_NAMESPACE from metadata.namespace`, fieldRef("POD_NAMESPACE") === "metadata.namespace");
  check(`${tag} POD_IP from status.podIP`, fieldRef("POD_IP") === "status.podIP");
  check(`${tag} PICKET_NAME=$(POD_NAME)`, env.get("PICKET_NAME")?.value === "$(POD_NAME)");
  check(`${tag} PICKET_BIND=0.0.0.0:9746`, env.get("PICKET_BIND")?.value === "0.0.0.0:9746");
  check(`${tag} PICKET_ADVERTISE=$(POD_IP):9746`, env.get("PICKET_ADVERTISE")?.value === "$(POD_IP):9746");
  const defined = new Set();
  for (const e of sidecar.env || []) {
    for (const ref of (e.value || "").matchAll(/\$\((\w+)\)/g)) {
      check(`${tag} env ${e.name} references $(${ref[1]}) defined before it`, defined.has(ref[1]));
    }
    defined.add(e.name);
  }
  const http = env.get("PICKET_HTTP")?.value || "127.0.0.1:9747";
  check(`${tag} HTTP API on the pod's loopback only`, http.startsWith("127.0.0.1:"), http);
  const apiPort = http.split(":")[1];

  // Service health: checks of the application container beside the sidecar,
  // on the pod's loopback, at a port that an application container serves
  // (the example's command names it; a real application declares it).
  const appServes = (port) => (pod.containers || []).some((c) =>
    (c.ports || []).some((p) => String(p.containerPort) === port) ||
    [...(c.command || []), ...(c.args || [])].join(" ").includes(`:${port}`));
  const checkHttp = env.get("PICKET_CHECK_HTTP")?.value || "";
  if (check(`${tag} PICKET_CHECK_HTTP checks the application`, checkHttp !== "")) {
    for (const url of checkHttp.split(",")) {
      const m = url.match(/^http:\/\/127\.0\.0\.1:(\d+)\//);
      if (!check(`${tag} check ${url} is on the pod's loopback`, m !== null)) continue;
      check(`${tag} check ${url} is not picket's own API`, m[1] !== apiPort);
      check(`${tag} an application container serves port ${m[1]} (${url})`, appServes(m[1]));
    }
  }
  const checkTcp = env.get("PICKET_CHECK_TCP")?.value;
  for (const target of checkTcp ? checkTcp.split(",") : []) {
    const m = target.match(/^127\.0\.0\.1:(\d+)$/);
    if (!check(`${tag} TCP check ${target} is on the pod's loopback`, m !== null)) continue;
    check(`${tag} TCP check ${target} is not picket's own API`, m[1] !== apiPort);
    check(`${tag} an application container serves port ${m[1]} (TCP check)`, appServes(m[1]));
  }

  // Seeds: the headless Service, with not-ready addresses published.
  const services = docs.filter((d) => d.kind === "Service");
  const join = env.get("PICKET_JOIN")?.value || "";
  const seedService = services.find((s) => join.startsWith(`${s.metadata.name}.$(POD_NAMESPACE).svc.cluster.local:9746`));
  if (check(`${tag} PICKET_JOIN is <headless service>.$(POD_NAMESPACE).svc.cluster.local:9746`,
            seedService !== undefined, join)) {
    check(`${tag} seed Service is headless`, seedService.spec.clusterIP === "None");
    check(`${tag} seed Service publishNotReadyAddresses`, seedService.spec.publishNotReadyAddresses === true);
    check(`${tag} seed Service selects the pods`, labelsMatch(seedService.spec.selector, podLabels));
    const sp = new Set((seedService.spec.ports || []).map((p) => `${p.port}/${p.protocol || "TCP"}`));
    check(`${tag} seed Service has 9746/UDP and 9746/TCP`, sp.has("9746/UDP") && sp.has("9746/TCP"));
    if (workload.kind === "StatefulSet") {
      check(`${tag} StatefulSet serviceName is the seed Service`, workload.spec.serviceName === seedService.metadata.name);
      check(`${tag} StatefulSet podManagementPolicy Parallel`, workload.spec.podManagementPolicy === "Parallel");
    }
  }

  // Ports.
  const ports = new Set((sidecar.ports || []).map((p) => `${p.containerPort}/${p.protocol || "TCP"}`));
  check(`${tag} sidecar ports 9746/UDP and 9746/TCP`, ports.has("9746/UDP") && ports.has("9746/TCP"));
  const allPorts = [...(pod.containers || []), ...(pod.initContainers || [])].flatMap((c) => c.ports || []);
  check(`${tag} API port ${apiPort} not declared as a container port`,
        !allPorts.some((p) => String(p.containerPort) === apiPort));

  // Operations listener: on the pod IP at 9748, a named container port.
  const ops = env.get("PICKET_OPS_LISTEN")?.value || "";
  check(`${tag} PICKET_OPS_LISTEN=$(POD_IP):9748`, ops === "$(POD_IP):9748", ops);
  const opsPort = (sidecar.ports || []).find((p) => p.name === "ops");
  check(`${tag} sidecar port "ops" is 9748/TCP`,
        opsPort !== undefined && opsPort.containerPort === 9748 && (opsPort.protocol || "TCP") === "TCP");
  const annotations = workload.spec.template.metadata?.annotations || {};
  check(`${tag} prometheus.io annotations point at the ops port`,
        annotations["prometheus.io/scrape"] === "true" && annotations["prometheus.io/port"] === "9748" &&
        annotations["prometheus.io/path"] === "/metrics", JSON.stringify(annotations));

  // Probes: kubelet's httpGet on the operations listener (no exec, no shell).
  for (const [kind, path_] of [["startupProbe", "/healthz"], ["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
    const probe = sidecar[kind];
    if (!check(`${tag} sidecar ${kind} present`, probe !== undefined)) continue;
    check(`${tag} ${kind} is not an exec probe`, probe.exec === undefined, probeText(probe));
    check(`${tag} ${kind} is httpGet ${path_} on port ops (9748)`,
          probe.httpGet?.path === path_ && (probe.httpGet?.port === "ops" || probe.httpGet?.port === 9748),
          probeText(probe));
  }

  // Graceful leave.
  const preStop = sidecar.lifecycle?.preStop?.exec?.command || [];
  check(`${tag} preStop runs "picket leave"`, preStop.includes("picket") && preStop.includes("leave"), preStop.join(" "));
  const leave = durationSeconds(env.get("PICKET_LEAVE_TIMEOUT")?.value || "5s");
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  check(`${tag} terminationGracePeriodSeconds (${grace}) >= leave timeout (${leave}) + 5`, grace >= leave + 5);

  // securityContext.
  const sc = sidecar.securityContext || {};
  const psc = pod.securityContext || {};
  check(`${tag} sidecar runAsNonRoot`, (sc.runAsNonRoot ?? psc.runAsNonRoot) === true);
  check(`${tag} sidecar runAsUser 10001`, (sc.runAsUser ?? psc.runAsUser) === 10001);
  check(`${tag} sidecar readOnlyRootFilesystem`, sc.readOnlyRootFilesystem === true);
  check(`${tag} sidecar allowPrivilegeEscalation false`, sc.allowPrivilegeEscalation === false);
  check(`${tag} sidecar drops ALL capabilities`, (sc.capabilities?.drop || []).includes("ALL"));
  check(`${tag} sidecar capabilities add nothing`, (sc.capabilities?.add || []).length === 0);
  check(`${tag} seccomp RuntimeDefault`, (sc.seccompProfile?.type ?? psc.seccompProfile?.type) === "RuntimeDefault");
  for (const c of pod.containers || []) {
    const csc = c.securityContext || {};
    check(`${tag} app container ${c.name} runs as non-root`,
          (csc.runAsNonRoot ?? psc.runAsNonRoot) === true || (csc.runAsUser ?? psc.runAsUser ?? 0) > 0);
  }
  check(`${tag} no service account token in the pod`, pod.automountServiceAccountToken === false);

  // Resources.
  const res = sidecar.resources || {};
  check(`${tag} sidecar requests cpu and memory`, res.requests?.cpu !== undefined && res.requests?.memory !== undefined);
  check(`${tag} sidecar memory limit`, res.limits?.memory !== undefined);

  // Secrets: files from Secret volumes, mounted whole (no subPath: updates reach the files).
  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  const secretPathOf = (container, file) => {
    const mount = (container.volumeMounts || []).find((m) => file.startsWith(m.mountPath + "/"));
    if (!mount) return null;
    const volume = volumes.get(mount.name);
    return volume?.secret ? { mount, volume } : null;
  };
  for (const c of [...(pod.containers || []), ...(pod.initContainers || [])]) {
    for (const m of c.volumeMounts || []) {
      if (volumes.get(m.name)?.secret) check(`${tag} Secret ${m.name} mounted without subPath in ${c.name}`, m.subPath === undefined);
    }
  }
  check(`${tag} no key given inline (PICKET_KEYRING_KEYS)`, !env.has("PICKET_KEYRING_KEYS"));
  check(`${tag} no Secret objects with data shipped`, !docs.some((d) => d.kind === "Secret" && (d.data || d.stringData)));
  const webhookMounted = [...(pod.containers || []), ...(pod.initContainers || [])].some((c) =>
    (c.volumeMounts || []).some((m) => volumes.get(m.name)?.secret?.secretName === "picket-webhook"));
  check(`${tag} webhook secret mounted from Secret picket-webhook`, webhookMounted);
  if (variant === "secure") {
    const keyring = env.get("PICKET_KEYRING")?.value;
    const k = keyring && secretPathOf(sidecar, keyring);
    check(`${tag} PICKET_KEYRING is a file from a Secret volume`, !!k, keyring);
    if (k) check(`${tag} keyring Secret is required`, k.volume.secret.optional !== true);
    const token = env.get("PICKET_API_TOKEN_FILE")?.value;
    check(`${tag} PICKET_API_TOKEN_FILE is a file from a Secret volume`, !!(token && secretPathOf(sidecar, token)), token);
    // Webhooks go to a receiver in the pod (loopback), signed with the Secret picket-webhook.
    const hookSecret = env.get("PICKET_WEBHOOK_SECRET_FILE")?.value;
    const w = hookSecret && secretPathOf(sidecar, hookSecret);
    check(`${tag} PICKET_WEBHOOK_SECRET_FILE is a file from Secret picket-webhook`,
          w?.volume?.secret?.secretName === "picket-webhook", hookSecret);
    const hookUrl = env.get("PICKET_WEBHOOK_URL")?.value || "";
    check(`${tag} PICKET_WEBHOOK_URL is on the pod's loopback`,
          /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(hookUrl), hookUrl);
  } else {
    check(`${tag} try-it: no keyring (encryption off)`, !env.has("PICKET_KEYRING"));
    check(`${tag} try-it: no webhooks (no Secret to sign with)`,
          !env.has("PICKET_WEBHOOK_URL") && !env.has("PICKET_WEBHOOK_SECRET_FILE"));
    check(`${tag} try-it: no Secret is required`,
          [...volumes.values()].every((v) => !v.secret || v.secret.optional === true));
  }

  // NetworkPolicy: gossip only from picket pods; the API port never opened;
  // the ops port only to monitoring namespaces.
  const policies = docs.filter((d) => d.kind === "NetworkPolicy" && labelsMatch(d.spec.podSelector?.matchLabels, podLabels));
  let opsOpened = false;
  if (check(`${tag} a NetworkPolicy selects the pods`, policies.length > 0)) {
    for (const p of policies) {
      check(`${tag} NetworkPolicy ${p.metadata.name} restricts Ingress`, (p.spec.policyTypes || []).includes("Ingress"));
      const opened = new Set();
      for (const rule of p.spec.ingress || []) {
        const rulePorts = (rule.ports || []).map((x) => `${x.port}/${x.protocol || "TCP"}`);
        check(`${tag} NetworkPolicy ${p.metadata.name} never opens the API port`, !rulePorts.includes(`${apiPort}/TCP`));
        if (rulePorts.includes("9748/TCP")) {
          const from = rule.from || [];
          check(`${tag} ops port 9748 opened only to namespaces labelled picket.io/monitoring=true`,
                from.length > 0 && from.every((f) => !f.ipBlock && !f.podSelector &&
                  f.namespaceSelector?.matchLabels?.["picket.io/monitoring"] === "true"));
          opsOpened = true;
        }
        if (rulePorts.some((x) => x.startsWith("9746/"))) {
          const from = rule.from || [];
          check(`${tag} gossip ingress only from picket pods`, from.length > 0 && from.every((f) =>
            f.podSelector && !f.namespaceSelector && !f.ipBlock && labelsMatch(f.podSelector.matchLabels, podLabels)));
          rulePorts.forEach((x) => opened.add(x));
        }
      }
      if (p.metadata.name === "picket-gossip") {
        check(`${tag} NetworkPolicy opens 9746/UDP and 9746/TCP`, opened.has("9746/UDP") && opened.has("9746/TCP"));
      }
    }
    check(`${tag} a NetworkPolicy opens the ops port 9748 to monitoring namespaces`, opsOpened);
  }
  return workload;
}

// ---------------------------------------------------------------- main

const templates = new Map();
for (const target of targets) {
  const m = target.match(/^([^=]+)=([^:]+)(?::(secure|insecure))?$/);
  if (!m) {
    console.error(`bad target ${target}`);
    process.exit(2);
  }
  const [, name, file, variant = "secure"] = m;
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);
  const before = failed;
  for (const doc of docs) {
    const id = `[${name}] ${doc.kind}/${doc.metadata?.name}`;
    const error = await validateSchema(doc);
    check(`${id} validates against the Kubernetes schema`, error === null, error);
    const unknown = strictFields(doc);
    check(`${id} has no unknown fields`, unknown.length === 0, unknown.join(", "));
  }
  const workload = checkRendering(name, docs, variant);
  if (workload) templates.set(name, workload);
  console.log(`${failed === before ? "ok  " : "FAIL"} ${name}: ${docs.length} objects (${docs.map((d) => d.kind).join(", ")}), ${variant}`);
}

// The Deployment overlay repeats the StatefulSet's pod template: keep them equal.
const statefulsets = [...templates].filter(([, w]) => w.kind === "StatefulSet");
const deployments = [...templates].filter(([, w]) => w.kind === "Deployment");
for (const [dn, d] of deployments) {
  const secure = statefulsets.find(([sn]) => sn === "base") || statefulsets[0];
  if (!secure) continue;
  // Apart from PICKET_JOIN: the StatefulSet adds its stable per-pod names as seeds.
  const normalized = (w) => {
    const t = JSON.parse(JSON.stringify(w.spec.template));
    for (const c of t.spec.initContainers || []) {
      for (const e of c.env || []) if (e.name === "PICKET_JOIN") e.value = e.value.split(",")[0];
    }
    return JSON.stringify(t);
  };
  const same = normalized(secure[1]) === normalized(d);
  check(`[${dn}] pod template identical to [${secure[0]}]'s (apart from extra seeds)`, same);
  console.log(`${same ? "ok  " : "FAIL"} ${dn}: pod template identical to ${secure[0]}'s apart from extra seeds`);
}

for (const f of failures) console.log(`  failed: ${f}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
