<?php

return [
    'merchant_id' => 'A2K9QX7T3M5ZPL',
    'marketplace_id' => 'A1PA6795UKMFR9',
    'endpoint' => 'https://mws-eu.amazonservices.com',
    'mws_auth_token' => 'amzn.mws.1cf4b41b-787e-4810-98bb-8ebb0b0e2647',
    'report_types' => ['_GET_FLAT_FILE_OPEN_LISTINGS_DATA_', '_GET_MERCHANT_LISTINGS_DATA_'],
];
