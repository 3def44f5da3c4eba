/**
 * Built-in pack `credential-access`: reading stored secrets — Secrets Manager values, EC2
 * Windows passwords, decrypted SSM SecureString parameters. Routine for applications, so the
 * levels are low to medium: use with a principal or IP filter, or as context. Written for this
 * project.
 */
export const CREDENTIAL_ACCESS = `title: Secrets Manager secret value read
id: 0c8e21a3-9923-4806-9295-9d60fb4b1d50
status: stable
description: A secret's value was read (GetSecretValue, BatchGetSecretValue).
references:
    - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
    - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html
tags:
    - attack.credential-access
    - attack.t1555.006
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: secretsmanager.amazonaws.com
        eventName:
            - GetSecretValue
            - BatchGetSecretValue
    condition: selection
falsepositives:
    - Applications reading their own secrets
level: low
---
title: EC2 Windows password data retrieved
id: 4d8b87ec-eb11-41e9-8835-59e04cd42b62
status: stable
description: The encrypted administrator password of a Windows instance was retrieved (GetPasswordData).
references:
    - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetPasswordData.html
tags:
    - attack.credential-access
    - attack.t1552.005
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: ec2.amazonaws.com
        eventName: GetPasswordData
    condition: selection
falsepositives:
    - Administrators connecting to new Windows instances
level: medium
---
title: SSM parameters read with decryption
id: e8128341-f68e-4d99-9b9f-8a058edb5424
status: stable
description: Systems Manager parameters were read with decryption (GetParameter, GetParameters, GetParametersByPath with withDecryption), revealing SecureString values.
references:
    - https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
    - https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html
tags:
    - attack.credential-access
    - attack.t1552
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: ssm.amazonaws.com
        eventName:
            - GetParameter
            - GetParameters
            - GetParametersByPath
        requestParameters.withDecryption: true
    condition: selection
falsepositives:
    - Applications reading their configuration
level: low
---
title: Secrets Manager secrets listed
id: dfa714fa-97ba-4ed4-931f-ad692798dac2
status: experimental
description: Secrets Manager secrets were listed (ListSecrets), the usual first step before reading them in bulk.
references:
    - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
tags:
    - attack.discovery
    - attack.t1580
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: secretsmanager.amazonaws.com
        eventName: ListSecrets
    condition: selection
falsepositives:
    - Consoles and inventory tools listing secrets
level: informational
`;
