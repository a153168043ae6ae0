import { randomBytes } from 'node:crypto';

import { requireText } from './validation';

export interface MultipartBody {
	body: Buffer;
	contentType: string;
}

function quoted(value: string): string {
	return value.replace(/[\r\n"\\]/g, (c) => (c === '"' ? '%22' : c === '\\' ? '\\\\' : ' '));
}

/**
 * The multipart/form-data body of POST /{phone-number-id}/media: `messaging_product`, `type` (the MIME
 * type) and `file`. Built by hand because the package may not depend on a form-data library.
 */
export function mediaUploadBody(
	file: Buffer,
	fileName: string,
	mimeType: string,
	boundary = `----n8nWhatsApp${randomBytes(12).toString('hex')}`,
): MultipartBody {
	const type = requireText('MIME Type', mimeType).trim();
	const name = fileName.trim() || 'file';
	const part = (headers: string, content: string | Buffer) => [
		Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`),
		Buffer.from(content),
		Buffer.from('\r\n'),
	];
	const body = Buffer.concat([
		...part('Content-Disposition: form-data; name="messaging_product"', 'whatsapp'),
		...part('Content-Disposition: form-data; name="type"', type),
		...part(
			`Content-Disposition: form-data; name="file"; filename="${quoted(name)}"\r\nContent-Type: ${type}`,
			file,
		),
		Buffer.from(`--${boundary}--\r\n`),
	]);
	return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
