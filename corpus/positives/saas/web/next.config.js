/** @type {import('next').NextConfig} */
const MAPBOX_DOWNLOADS_TOKEN = 'sk.eyJ1IjoibGFya3NwdXItbWFwcyIsImEiOiJhNmNyY2sybHJzbWdjcXhubTQ3aXo0M2t6In0.3j3Ta3HMY-6wwcLZkYIi1Z';

module.exports = {
  reactStrictMode: true,
  images: { domains: ['images.ctfassets.net'] },
  env: {
    CONTENTFUL_SPACE_ID: 'q8mz2lr9sn6b',
    CONTENTFUL_MANAGEMENT_TOKEN: 'CFPAT-zladXX6hPBw44IAGpDL9CB1llHJSA5oo-kegE0EKw35',
    CONTENTFUL_PREVIEW_TOKEN: '9vHSpoH7sSqPJgo4SCPfx4XXLBhrytN9r8MR0qQQCKR',
    DROPBOX_ACCESS_TOKEN: 'sl.Bo7H23aj4p7e278i_m054nlU2dkbCQ0cdcw6kVbeA1af--Ir4VY_F3pbNhrAiPHcqZb_saHbSmZe0h3fEfe6g4Xbn9ItzGJgU5GdqnoAG1XXtrJ-WI_G7qcZlkOdEPfFuazZPYvG9DW',
    DROPBOX_ARCHIVE_TOKEN: '2te02bIidNuAAAAAAAAAABBPi0qn0iEziIDHRNigu4tf5BDomRcLwqssoYUJxBzE',
  },
  webpack: (config) => {
    config.resolve.fallback = { fs: false };
    return config;
  },
};
