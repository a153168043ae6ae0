/**
 * The limits Meta enforces on outgoing messages, checked before anything is sent so an operator sees
 * the field and the limit instead of a Graph error after a round trip.
 *
 * Sources: [C] = whatsapp-api-js 6.3 `lib/messages/*` (the checks its builders make, mirroring Meta's
 * reference); [F] = docs/whatsapp-facts.md §3; [K] = Meta's reference pages linked in docs/whatsapp-facts.md §5.
 * Lengths are counted in UTF-16 code units, as Meta's reference and whatsapp-api-js do.
 */
export const LIMITS = {
	/** [C] text.ts: "Text body must be less than 4096 characters". */
	textBody: 4096,
	/** [K] Media caption (image, video, document). */
	mediaCaption: 1024,
	/** [K] Document file name shown to the user. */
	documentFilename: 240,
	/** [F] `biz_opaque_callback_data`: "arbitrary 512B". Counted in UTF-8 bytes. */
	correlationIdBytes: 512,
	/** [C] interactive.ts Body: 1024. */
	interactiveBody: 1024,
	/** [C] interactive.ts Header text: 60. */
	interactiveHeaderText: 60,
	/** [C] interactive.ts Footer: 60. */
	interactiveFooter: 60,
	/** [C] ActionButtons: at most 3 reply buttons. */
	replyButtons: 3,
	/** [C] Button: title 1..20 characters, unique. */
	replyButtonTitle: 20,
	/** [C] Button: id up to 256 characters, unique, no leading or trailing space. */
	replyButtonId: 256,
	/** [C] ActionList: button text 1..20 characters. */
	listButtonText: 20,
	/** [C] ActionList: at most 10 sections. */
	listSections: 10,
	/** [K] Meta: "a total of 10 rows across all sections" (whatsapp-api-js checks 10 per section). */
	listRowsTotal: 10,
	/** [C] Section: title up to 24 characters. */
	listSectionTitle: 24,
	/** [C] Row: id up to 200, title up to 24, description up to 72 characters. */
	listRowId: 200,
	listRowTitle: 24,
	listRowDescription: 72,
	/** [K] CTA URL button text up to 20 characters. */
	ctaDisplayText: 20,
	/** [C] ActionFlow: flow_cta 1..20 characters, no emoji. */
	flowCta: 20,
	/** [C] HeaderParameter: a template header text parameter is up to 60 characters. */
	templateHeaderText: 60,
	/** [C] BodyParameter: up to 32768 characters when the template has only a body, else 1024. */
	templateBodyTextAlone: 32768,
	templateBodyText: 1024,
	/** [K] Template button index 0..9. */
	templateButtonIndexMax: 9,
	/** [K] Copy-code coupon up to 15 characters. */
	couponCode: 15,
	/** [K] E.164: at most 15 digits including the country code. */
	phoneDigitsMin: 5,
	phoneDigitsMax: 15,
	/** [K] Upload sizes per kind (Meta's supported media table), in bytes. */
	mediaBytes: {
		image: 5 * 1024 * 1024,
		video: 16 * 1024 * 1024,
		audio: 16 * 1024 * 1024,
		document: 100 * 1024 * 1024,
		sticker: 500 * 1024,
	},
} as const;
