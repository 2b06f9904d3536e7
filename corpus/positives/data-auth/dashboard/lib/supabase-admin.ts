import { createClient } from '@supabase/supabase-js'

// Server-only client used by the billing webhooks.
export const supabaseAdmin = createClient(
  'https://yzagvsvdbjzicicuompg.supabase.co',
  'sb_secret_c4Oh-AXC30Ht1L6mC14J6s_fui4i8U3',
  { auth: { persistSession: false } },
)
