import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { DEFAULT_RETRY_OPTIONS } from '../../core/retryPolicy';
import { callGraph, graphTarget } from '../transport';

interface TemplateRow {
	name?: string;
	language?: string;
	status?: string;
	category?: string;
	id?: string;
}

interface TemplatePage {
	data?: TemplateRow[];
	paging?: { cursors?: { after?: string }; next?: string };
}

/** The WABA's templates, searchable by name, showing language and status; the value carries both name and language. */
export async function searchTemplates(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const target = await graphTarget(this);
	if (!target.businessAccountId) {
		throw new NodeOperationError(
			this.getNode(),
			'Set the WhatsApp Business Account ID in the credential to list templates, or choose the template by name',
		);
	}
	const qs: Record<string, string | number> = {
		fields: 'name,language,status,category',
		limit: 100,
	};
	if (paginationToken) qs.after = paginationToken;
	const result = await callGraph(
		this,
		target,
		{ method: 'GET', path: `${target.businessAccountId}/message_templates`, qs },
		{ retry: { ...DEFAULT_RETRY_OPTIONS, maxAttempts: 3, maxTotalMs: 10_000 } },
	);
	if (!result.ok) {
		const { error, info } = result.failure;
		throw new NodeApiError(this.getNode(), (error.raw ?? { message: error.message }) as never, {
			message: `Could not list templates: ${error.message}`,
			description: info.guidance,
			httpCode: error.httpStatus ? String(error.httpStatus) : undefined,
		});
	}
	const page = result.value.body as TemplatePage;
	const needle = filter?.trim().toLowerCase();
	const results: INodeListSearchItems[] = (page.data ?? [])
		.filter((t) => t.name && (!needle || t.name.toLowerCase().includes(needle)))
		.map((t) => ({
			name: `${t.name} · ${t.language ?? '?'} · ${t.status ?? 'UNKNOWN'}${t.category ? ` · ${t.category}` : ''}`,
			value: `${t.name}|${t.language ?? ''}`,
		}));
	return { results, paginationToken: page.paging?.next ? page.paging.cursors?.after : undefined };
}
