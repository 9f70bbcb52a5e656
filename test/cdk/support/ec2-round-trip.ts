import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';

/**
 * One EC2 call whose request and answer use the schemas' XML names (filters, `vpcSet`, `tagSet`, `item`):
 * bundled by control-plane/lambda-bundle.ts and run from source, it must send and parse the same.
 */
export async function handler(endpoint: string) {
  const ec2 = new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  const answer = await ec2.send(
    new DescribeVpcsCommand({ VpcIds: ['vpc-1'], Filters: [{ Name: 'tag-key', Values: ['dsenv:environment-id'] }] }),
  );
  return answer.Vpcs;
}
