import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/** Shows `properties` only for one resource and operation, keeping each property's own conditions. */
export function showFor(
	resource: string,
	operation: string | string[],
	properties: INodeProperties[],
): INodeProperties[] {
	const operations = Array.isArray(operation) ? operation : [operation];
	return properties.map((property) => {
		const displayOptions: IDisplayOptions = {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, resource: [resource], operation: operations },
		};
		return { ...property, displayOptions };
	});
}
