"""The AWS-published Powertools layer of the pinned version, found at deploy time.

AWS publishes one SSM parameter per Powertools version, architecture and runtime in every
region it serves (``shared.lambdas.powertools_layer_parameter``), so the layer always holds the
version the tests ran with, whatever layer number that version got in the region.
``fraud:powertoolsLayerArn`` overrides it (a region without the parameter, a private copy).
"""

import pulumi
import pulumi_aws as aws

from shared.lambdas import POWERTOOLS_VERSION, powertools_layer_parameter
from shared.settings import NAMESPACE, Settings


def powertools_layer_arn(settings: Settings) -> str:
    """The layer version ARN the functions run with."""
    if settings.powertools_layer_arn:
        return settings.powertools_layer_arn
    parameter = powertools_layer_parameter(settings.lambda_runtime)
    try:
        return aws.ssm.get_parameter(name=parameter).value
    except Exception as error:  # the invoke's failure, as the provider words it
        raise pulumi.RunError(
            f"cannot read the Powertools {POWERTOOLS_VERSION} layer ARN from the public SSM "
            f"parameter {parameter} in {settings.region} ({error}). Set "
            f"{NAMESPACE}:powertoolsLayerArn to a layer of aws-lambda-powertools "
            f"{POWERTOOLS_VERSION} for {settings.lambda_runtime}") from None
