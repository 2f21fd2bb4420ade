// The only JavaScript: re-export the Rust worker and define the Workflow class
// that workers-rs 0.8.7 cannot define; each run is handed to Rust.
import { WorkflowEntrypoint } from "cloudflare:workers";
import RustWorker, { BackfillWorkflowRunner } from "../build/index.js";

export default RustWorker;

export class BackfillWorkflow extends WorkflowEntrypoint {
  async run(event, step) {
    return await new BackfillWorkflowRunner(this.ctx, this.env).run(event, step);
  }
}
