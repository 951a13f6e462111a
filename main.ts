// Entry point of the Pulumi program (Pulumi.yaml `main`): load and validate the stack config, run the preflight
// checks (preflight/) that need the account's state — among them rule discovery of watched web ACLs
// (preflight/webAclRules.ts) — and only then load the composition root (index.ts), which declares the resources.
// A failed check rejects here, so `pulumi preview`/`up` stops, naming the key, before any resource is registered.
// The stack outputs are index.ts's exports.
import { loadConfig } from "./config";
import { runPreflight } from "./preflight";
import { runRuleDiscovery } from "./preflight/webAclRules";

const config = loadConfig();
export = runPreflight(config).then(() => runRuleDiscovery(config)).then(() => import("./index"));
