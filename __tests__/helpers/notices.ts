/**
 * Notices synth prints on purpose (stacks/: stateStatus, logDeliveryNotice, kinesisNotice, announceGaImport, announceDashboards) are expected in tests: __tests__/setup.ts captures them instead of letting jest print a console.log block
 * for each; any other console.log still prints. A test reads what was captured with `synthNotices()`.
 */
const SYNTH_NOTICE = /^(Terraform state|Log delivery|Kinesis|Google Analytics 4 import|QuickSight dashboards): /;

const captured: string[] = [];

/** Whether a console.log line is one of the synth notices. */
export function isSynthNotice(line: unknown): line is string {
  return typeof line === "string" && SYNTH_NOTICE.test(line);
}

/** Record a notice (setup.ts calls this). */
export function captureNotice(line: string): void {
  captured.push(line);
}

/** The synth notices logged in this test file so far (since the last clearNotices()). */
export function synthNotices(): readonly string[] {
  return [...captured];
}

/** Forget the notices captured so far. */
export function clearNotices(): void {
  captured.length = 0;
}
