import type { IDataObject } from 'n8n-workflow';

import { buildCasePackage, type CasePackage } from '../../core/casePackage';
import type { Conversation } from '../../core/conversationRecord';
import { PRIORITIES, type Priority } from '../../core/escalationRules';
import { escalate } from '../../core/lease';

/**
 * Opening a case for an item, as Escalate does and as Route does with Open Case on Match: the reason,
 * rule and priority Route found (unless given), the lease, and the case package. Runs inside the
 * caller's change of the conversations, so the owner check before it and the case are one step.
 */

export interface CaseSettings {
	/** The reason given; null: the one Route found, else "Manual escalation". */
	reason: string | null;
	/** A priority, or anything else for the one Route found (default normal). */
	priority: string;
	assignee: string | null;
	/** 0: no expiry, only Release ends it. */
	leaseMinutes: number;
	transcriptLimit?: number;
	mediaLinkTemplate?: string;
}

export const text = (value: unknown): string | null =>
	typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

export function openCase(
	conversation: Conversation,
	json: IDataObject,
	settings: CaseSettings,
	now: number,
): CasePackage {
	const routing = (json.routing ?? {}) as IDataObject;
	const routed = PRIORITIES.includes(routing.priority as Priority)
		? (routing.priority as Priority)
		: 'normal';
	const fromRoute = routing.route === 'human';
	const result = escalate(
		conversation,
		{
			reason: settings.reason ?? text(routing.reason) ?? 'Manual escalation',
			rule: fromRoute ? text(routing.rule) : null,
			detail: fromRoute ? text(routing.detail) : null,
			priority: PRIORITIES.includes(settings.priority as Priority)
				? (settings.priority as Priority)
				: routed,
			assignee: settings.assignee,
			leaseMs: settings.leaseMinutes > 0 ? settings.leaseMinutes * 60_000 : null,
		},
		now,
	);
	return buildCasePackage(conversation, result, json, {
		transcriptLimit: settings.transcriptLimit || undefined,
		mediaLinkTemplate: settings.mediaLinkTemplate || undefined,
	});
}
