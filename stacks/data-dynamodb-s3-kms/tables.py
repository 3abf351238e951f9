"""The DynamoDB tables, built from their definitions in ``common.data_model``.

Key schema, indexes, projections and stream come from there (the handlers query by the same
definitions); this module adds what only AWS needs: billing, encryption, recovery.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from common.data_model import Index, Table

from shared.data_layer import TABLES
from shared.naming import resource_name

# On demand: the load is bursty (API traffic, report runs) and nothing needs capacity planning.
BILLING_MODE = "PAY_PER_REQUEST"


def _index_args(index: Index) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index.name,
        key_schemas=[
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                attribute_name=index.hash_key.name, key_type="HASH"),
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                attribute_name=index.range_key.name, key_type="RANGE"),
        ],
        projection_type=index.projection_type,
        non_key_attributes=list(index.non_key_attributes) or None,
    )


@dataclass(frozen=True)
class DataTablesArgs:
    suffix: str
    kms_key_arn: pulumi.Input[str]
    deletion_protection: bool  # fraud:protectData


class DataTables(pulumi.ComponentResource):
    """One table per purpose of ``shared.data_layer.TABLES``, named ``dynamodb-{purpose}-{suffix}``.

    Every table: on demand, encrypted with the project key, point-in-time recovery on (the
    audit trail of every transaction, and the stats the reports are built from), deletion
    protection as ``fraud:protectData`` says (off by default, so ``pulumi destroy`` can remove
    the stack; on, AWS refuses to delete the table until it is turned off again).
    """

    def __init__(self, name: str, args: DataTablesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:DataTables", name, None, opts)
        self.tables: dict[str, aws.dynamodb.Table] = {
            purpose: self._table(f"{name}-{purpose}", purpose, definition, args)
            for purpose, definition in TABLES.items()
        }
        self.register_outputs({purpose: table.name for purpose, table in self.tables.items()})

    def _table(self, logical_name: str, purpose: str, definition: Table,
               args: DataTablesArgs) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            logical_name,
            name=resource_name("dynamodb", purpose, args.suffix),
            billing_mode=BILLING_MODE,
            hash_key=definition.hash_key.name,
            range_key=definition.range_key.name,
            attributes=[aws.dynamodb.TableAttributeArgs(name=attribute.name, type=attribute.type)
                        for attribute in definition.attributes],
            global_secondary_indexes=[_index_args(index) for index in definition.indexes] or None,
            stream_enabled=definition.stream_view_type is not None,
            stream_view_type=definition.stream_view_type,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=args.kms_key_arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=definition.ttl_attribute, enabled=True)
            if definition.ttl_attribute else None,
            deletion_protection_enabled=args.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self),
        )
