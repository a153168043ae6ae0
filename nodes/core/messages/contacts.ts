import { z } from 'zod';

import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { fail, parseJsonInput } from './validation';

const typed = <T extends z.ZodRawShape>(shape: T) =>
	z.object({ ...shape, type: z.string().optional() }).strict();

/** Meta's contact card (the same shape inbound contacts messages carry, docs/whatsapp-facts.md §2). */
export const contactSchema = z
	.object({
		name: z
			.object({
				formatted_name: z.string().min(1, 'formatted_name is required'),
				first_name: z.string().optional(),
				last_name: z.string().optional(),
				middle_name: z.string().optional(),
				suffix: z.string().optional(),
				prefix: z.string().optional(),
			})
			.strict()
			.refine((n) => !!(n.first_name || n.last_name || n.middle_name || n.suffix || n.prefix), {
				message: 'needs at least one of first_name, last_name, middle_name, prefix, suffix',
			}),
		phones: z
			.array(typed({ phone: z.string().optional(), wa_id: z.string().optional() }))
			.optional(),
		emails: z.array(typed({ email: z.string().optional() })).optional(),
		urls: z.array(typed({ url: z.string().optional() })).optional(),
		addresses: z
			.array(
				typed({
					street: z.string().optional(),
					city: z.string().optional(),
					state: z.string().optional(),
					zip: z.string().optional(),
					country: z.string().optional(),
					country_code: z.string().optional(),
				}),
			)
			.optional(),
		org: z
			.object({
				company: z.string().optional(),
				department: z.string().optional(),
				title: z.string().optional(),
			})
			.strict()
			.optional(),
		birthday: z
			.string()
			.regex(/^\d{4}-\d{2}-\d{2}$/, 'birthday must be YYYY-MM-DD')
			.optional(),
	})
	.strict();

export type Contact = z.infer<typeof contactSchema>;

const contactsSchema = z.preprocess(
	(value) => (Array.isArray(value) ? value : [value]),
	z.array(contactSchema),
);

/** `contacts` is JSON from the operator: one contact card or an array of them. */
export function buildContacts(common: SendCommon, contacts: unknown): OutgoingMessage {
	const list = parseJsonInput('Contacts (JSON)', contacts, contactsSchema);
	if (list.length === 0) fail('Contacts (JSON)', 'at least one contact', 'is an empty list');
	return envelope(common, 'contacts', list);
}
