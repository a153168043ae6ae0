import { z } from 'zod';

import type { OutgoingMessage, SendCommon } from './envelope';
import { buildInteractive, type InteractiveCommon } from './interactive';
import { LIMITS } from './limits';
import { fail, optionalText, parseJsonInput, requireText } from './validation';

export interface FlowInput extends InteractiveCommon {
	/** A flow is named by its id or by its name. */
	flow: { id: string } | { name: string };
	/** Identifies this flow session; comes back in the completion webhook. Meta's default is "unused". */
	flowToken?: string;
	cta: string;
	mode: 'published' | 'draft';
	action: 'navigate' | 'data_exchange';
	/** navigate only: the first screen and its data. */
	screen?: string;
	data?: unknown;
}

const flowDataSchema = z.record(z.string(), z.unknown());

export function buildFlow(common: SendCommon, input: FlowInput): OutgoingMessage {
	const cta = requireText('Flow CTA', input.cta, LIMITS.flowCta);
	// whatsapp-api-js ActionFlow: "Flow CTA must not contain emoji".
	if (/\p{Extended_Pictographic}/u.test(cta)) fail('Flow CTA', 'no emoji', 'may not contain emoji');
	const parameters: Record<string, unknown> = { flow_message_version: '3' };
	const token = optionalText('Flow Token', input.flowToken);
	if (token !== undefined) parameters.flow_token = token;
	if ('id' in input.flow) parameters.flow_id = requireText('Flow ID', input.flow.id).trim();
	else parameters.flow_name = requireText('Flow Name', input.flow.name).trim();
	parameters.flow_cta = cta;
	if (input.mode !== 'published' && input.mode !== 'draft') fail('Mode', 'published or draft');
	parameters.mode = input.mode;
	parameters.flow_action = input.action;
	if (input.action === 'navigate') {
		const payload: Record<string, unknown> = {
			screen: requireText('First Screen', input.screen).trim(),
		};
		const data =
			input.data === undefined || input.data === ''
				? undefined
				: parseJsonInput('Screen Data (JSON)', input.data, flowDataSchema);
		if (data && Object.keys(data).length) payload.data = data;
		parameters.flow_action_payload = payload;
	} else if (input.action !== 'data_exchange') {
		fail('Flow Action', 'navigate or data_exchange');
	}
	// flow_action_payload must be omitted for data_exchange (docs/whatsapp-facts.md §3): the endpoint decides the first screen.
	return buildInteractive(common, 'flow', input, { name: 'flow', parameters }, ['text']);
}
