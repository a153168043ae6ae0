import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

/** Access to the WhatsApp Business Cloud API (Graph API) for sending messages and reading templates. */
export class WhatsAppCloudApi implements ICredentialType {
	name = 'whatsAppCloudApi';

	displayName = 'WhatsApp Cloud API';

	icon: Icon = { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' };

	documentationUrl = 'https://developers.facebook.com/docs/whatsapp/cloud-api/get-started';

	properties: INodeProperties[] = [
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A system-user access token with whatsapp_business_messaging and whatsapp_business_management permissions',
		},
		{
			displayName: 'Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			default: '',
			required: true,
			description:
				'The sending phone number ID (WhatsApp → API Setup). Nodes use it unless they name another.',
		},
		{
			displayName: 'WhatsApp Business Account ID',
			name: 'businessAccountId',
			type: 'string',
			default: '',
			description: 'The WABA ID, needed to list message templates',
		},
		{
			displayName: 'Graph API Version',
			name: 'graphApiVersion',
			type: 'string',
			default: 'v23.0',
			description: 'The Graph API version in request paths, e.g. v23.0',
		},
		{
			displayName: 'Graph Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://graph.facebook.com',
			description:
				"Meta's Graph API by default. Point it at a proxy or a test server if you need to.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.accessToken}}' },
		},
	};

	// Reading the phone number proves the token, the number id, the version and the base URL together.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/$/, "")}}/{{$credentials.graphApiVersion}}',
			url: '=/{{$credentials.phoneNumberId}}',
			qs: { fields: 'id,display_phone_number,verified_name' },
		},
	};
}
