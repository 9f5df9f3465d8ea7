-- TARA's contact claims (TARA spec §4.1.2 scope `email`, §4.1.3 scope `phone`),
-- kept with the TIM TARA JWT they were carried into; null when not requested or
-- not issued (TARA sends a phone number only for Mobile-ID).
ALTER TABLE tara.jwt_metadata
  ADD COLUMN email text,
  ADD COLUMN email_verified boolean,
  ADD COLUMN phone_number text,
  ADD COLUMN phone_number_verified boolean;
ALTER TABLE tara.jwt_metadata_archive
  ADD COLUMN email text,
  ADD COLUMN email_verified boolean,
  ADD COLUMN phone_number text,
  ADD COLUMN phone_number_verified boolean;
