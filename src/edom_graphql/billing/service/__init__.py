"""Business rules of bills and payments: a bill's standing (``bills``), paying and the
provider's confirmations (``payments``), the provider interface and the sandbox
(``providers``, ``sandbox``), webhooks (``webhooks``) and the billing centre's import
(``importing``)."""
