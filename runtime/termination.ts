// The Kubernetes termination log. The kubelet creates it in every container and, when the
// container exits, copies what was written there into the pod's status
// (containerStatuses[].lastState.terminated.message), where `kubectl describe pod` and the
// operator's status read it. Outside a container the file does not exist and nothing is written.
import { existsSync, writeFileSync } from 'node:fs';

/** Where the kubelet expects it unless a pod says otherwise (terminationMessagePath). */
export const TERMINATION_LOG = '/dev/termination-log';

/** Writes the reason a container is about to exit; true when it was written (we run in a container). */
export function writeTerminationMessage(path: string, message: string): boolean {
  if (!existsSync(path)) return false;
  try {
    writeFileSync(path, message);
    return true;
  } catch {
    return false; // a courtesy for people and status; the exit code is the contract
  }
}
