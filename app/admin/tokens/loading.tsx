export { default } from "@/app/admin/loading";
