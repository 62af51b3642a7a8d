/**
 * The kernel's main shell, for the last messages of a comm (see `sendOnMainShell`).
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';

/**
 * Send a comm message on the kernel's main shell, not on the comm's subshell.
 *
 * For the last messages of a comm: `comm.close()` sends on the comm's subshell
 * and at once asks the kernel to delete that subshell, and ipykernel drops what
 * the subshell has not handled yet, so the kernel would often never hear them.
 * The main shell may answer later (after a busy cell), but it always answers.
 */
export function sendOnMainShell(
  kernel: Kernel.IKernelConnection,
  msgType: 'comm_msg' | 'comm_close',
  commId: string,
  data: JSONObject
): void {
  const options = {
    channel: 'shell' as const,
    session: kernel.clientId,
    username: kernel.username,
    content: { comm_id: commId, data }
  };
  const msg =
    msgType === 'comm_msg'
      ? KernelMessage.createMessage({ msgType: 'comm_msg', ...options })
      : KernelMessage.createMessage({ msgType: 'comm_close', ...options });
  kernel.sendShellMessage(msg, false, true);
}
