import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/**
 * The items a trigger's `webhook()` handed to one of its outputs, read back in its `execute()`. n8n
 * throws for an input index that received nothing, so that reads as no items.
 */
export function triggerInput(ctx: IExecuteFunctions, index: number): INodeExecutionData[] {
	try {
		return ctx.getInputData(index) ?? [];
	} catch {
		return [];
	}
}
