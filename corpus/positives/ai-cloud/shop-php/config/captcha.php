<?php

return [
    'enabled' => true,
    'client_key' => env('SMARTCAPTCHA_CLIENT_KEY'),
    'server_key' => 'ysc2_AJoNlA42oSCeqQLbTdj62XNYqFsso05tA8NMbcyQ2fbbe8eb',
    'validate_url' => 'https://smartcaptcha.yandexcloud.net/validate',
    'timeout' => 2.0,
];
