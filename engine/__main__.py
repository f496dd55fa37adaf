"""``python -m ansible_collections.dbaops.mysql_ha.engine``: the ``mysqlha`` command."""
import sys

from ansible_collections.dbaops.mysql_ha.engine.cli import main

sys.exit(main())
