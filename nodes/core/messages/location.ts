import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { inRange, optionalText } from './validation';

export interface LocationInput {
	latitude: number | string;
	longitude: number | string;
	name?: string;
	address?: string;
}

export interface LocationBody {
	latitude: number;
	longitude: number;
	name?: string;
	address?: string;
}

/** Shared by the location message and a template's location header. */
export function locationBody(input: LocationInput, prefix = ''): LocationBody {
	const body: LocationBody = {
		latitude: inRange(`${prefix}Latitude`, input.latitude, -90, 90),
		longitude: inRange(`${prefix}Longitude`, input.longitude, -180, 180),
	};
	const name = optionalText(`${prefix}Location Name`, input.name);
	const address = optionalText(`${prefix}Address`, input.address);
	if (name !== undefined) body.name = name;
	if (address !== undefined) body.address = address;
	return body;
}

export function buildLocation(common: SendCommon, input: LocationInput): OutgoingMessage {
	return envelope(common, 'location', locationBody(input));
}
