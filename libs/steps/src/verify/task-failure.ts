import type { VerifyReason, VerifyResult } from '@datasmith/tables';

/**
 * Why a task ends unverified before a verdict: the reason, the message and any fields the part of the
 * measurement that stopped knows (the caller adds what it knew by then).
 */
export class TaskFailure {
  constructor(
    readonly reason: VerifyReason,
    readonly message: string,
    readonly fields: Partial<VerifyResult> = {},
  ) {}
}
