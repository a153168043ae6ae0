import {
	businessScopedUserId,
	normaliseCustomerId,
	phoneDigits,
} from '../../nodes/core/customerId';

describe('phoneDigits', () => {
	it('reduces a phone number in any common notation to its digits', () => {
		expect(phoneDigits('+49 151 2345-6789')).toBe('4915123456789');
		expect(phoneDigits('(0049) 151.12345678')).toBe('004915112345678');
		expect(phoneDigits(' 4915112345678 ')).toBe('4915112345678');
	});

	it('is null for text that is not a phone number', () => {
		expect(phoneDigits('abc')).toBeNull();
		expect(phoneDigits('US.13491208655302741918')).toBeNull();
		expect(phoneDigits('49+151')).toBeNull();
		expect(phoneDigits('()')).toBeNull();
		expect(phoneDigits('')).toBeNull();
	});
});

describe('normaliseCustomerId', () => {
	it('makes a phone number and the wa_id of the same customer meet', () => {
		expect(normaliseCustomerId('+49 151 123-456 78')).toBe('4915112345678');
		expect(normaliseCustomerId(4915112345678)).toBe('4915112345678');
		expect(normaliseCustomerId('4915112345678')).toBe('4915112345678');
	});

	it('keeps a business-scoped user id, trimmed', () => {
		expect(normaliseCustomerId('  US.13491208655302741918 ')).toBe('US.13491208655302741918');
	});

	it('is null for empty or non-text values', () => {
		expect(normaliseCustomerId('  ')).toBeNull();
		expect(normaliseCustomerId(undefined)).toBeNull();
		expect(normaliseCustomerId({ id: 1 })).toBeNull();
	});
});

describe('businessScopedUserId', () => {
	it('accepts a country code, a dot and up to 128 characters, and parent ids', () => {
		expect(businessScopedUserId(' US.13491208655302741918 ')).toBe('US.13491208655302741918');
		expect(businessScopedUserId('US.ENT.11815799212886844830')).toBe('US.ENT.11815799212886844830');
		expect(businessScopedUserId(`DE.${'a'.repeat(128)}`)).toBe(`DE.${'a'.repeat(128)}`);
	});

	it('is null for phone numbers and other text', () => {
		expect(businessScopedUserId('4915112345678')).toBeNull();
		expect(businessScopedUserId(`DE.${'a'.repeat(129)}`)).toBeNull();
		expect(businessScopedUserId('jane')).toBeNull();
		expect(businessScopedUserId('US.')).toBeNull();
		expect(businessScopedUserId('US.12 34')).toBeNull();
	});
});
