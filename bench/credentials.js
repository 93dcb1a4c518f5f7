// Dummy credentials for every engine. Not dynx's LOCAL_CREDENTIALS: DynamoDB Local (2.0 and later)
// refuses access key ids with anything but letters and digits ("dynx-local" has a hyphen).
export const BENCH_CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' }
